"""APScheduler: runs the periodic jobs in the web process (development) or in `flask procheck worker`."""
