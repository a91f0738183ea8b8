"""Chain adapter: contract ABIs and bytecode from Brownie's build, deployment, and deployments files.

The ABI always comes from the build (one source of truth); Python never restates it.
"""
