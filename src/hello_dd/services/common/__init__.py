"""What every hello-dd service shares: settings, JSON logging, correlation, metrics, errors, tracing."""
