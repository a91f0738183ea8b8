"""Chain adapter: ABIs and bytecode from Brownie's build, deployment, deployments files.

The ABI always comes from the build (one source of truth); Python never restates it.
"""
