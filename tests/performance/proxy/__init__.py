"""What the proxy benchmark needs: wrk runs, an nginx of its own, the machine's description."""
