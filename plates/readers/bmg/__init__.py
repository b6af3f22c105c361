"""BMG Labtech (MARS, Omega, CLARIOstar) exports."""
