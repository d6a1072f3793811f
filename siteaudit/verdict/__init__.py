"""The verdict: waivers, the inspection items the checks declare, the run's status and exit code."""
