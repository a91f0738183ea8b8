"""What the worker does for the market beyond its own tiles: the permissionless actions behind
its deadlines (`seats`, `rounds`), the drawn verifier's blind check (`verify_duty`, `verifier`),
a panel member's vote (`panel`), and rechecks and challenges of other workers' passes
(`recheck`, `challenges`)."""
