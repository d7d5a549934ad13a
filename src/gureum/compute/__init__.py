"""The Compute service (Nova v2.1): servers through scheduler, conductor and agents."""
