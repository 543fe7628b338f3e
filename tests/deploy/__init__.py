"""The deployment test (``make deploy-test``): real images and the compose stack under Podman."""
