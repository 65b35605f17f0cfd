"""Settings, connections, logging, embedded services, the CLI and the process supervisor."""
