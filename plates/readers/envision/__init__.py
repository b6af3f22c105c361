"""PerkinElmer/Revvity EnVision, EnSpire, VICTOR and Kaleido exports."""
