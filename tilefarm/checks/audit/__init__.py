"""Re-checking a job from the chain and IPFS alone: the committed results, the verification
evidence, the assembled frames and the money. Used by `tilefarm audit`, by the server's
`/api/audit` route, and (its checked fetches and frame writer) by the server's assembler."""
