"""The study's analysis table: clinical inputs, stored results, the build, its outputs."""
