"""The shared re-checks: `verification` (what a verifier, a panel member and `tilefarm verify`
compute) and `audit` (a whole job re-checked from the chain and IPFS alone). Built on the
protocol and the adapters; used by the programs.
"""
