"""The Flask backend as a real process (gunicorn) on real databases, alone and next to legacy."""
