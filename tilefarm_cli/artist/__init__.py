"""The artist's commands for pipelines: `tilefarm submit` uploads a .blend, stores its manifest and
signs `postJob` with the artist's own keystore; `tilefarm watch` follows a job's tiles to its
frames; `tilefarm fetch` downloads the frames and the film, checking every CID (docs/artist-cli.md).

They talk to a marketplace server over the same API the page uses, and to the chain the server
names in `/api/config`; the server never holds the artist's key, and nothing it says is signed
for unchecked: the market's code must be this checkout's build and the deposit what the job can
cost (`market_code`, `deposit`). The demo posts its job with the same upload and download code.
"""
