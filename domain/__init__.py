"""The governance domain: the registered-model aggregate, its rules, policy and errors. Pure, no I/O."""
