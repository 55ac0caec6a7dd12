"""Reading the depositary: fetch a treaty's status page, parse it (tracker.depositary) and
apply what changed through one service (tracker.sync.services)."""
