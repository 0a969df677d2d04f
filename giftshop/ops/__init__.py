"""What the host needs to run the shop unattended: health checks and request logs."""
