"""The running app or a process, over real HTTP against the fakes: flows, webhooks, CLI, faults."""
