"""pandera schemas for the normalised frames (roster, pledges, org pledges, logs, evaluation)."""
