"""The suite's harness: stack providers, HTTP clients, polling, evidence and reports. Steps stay thin
by calling these."""
