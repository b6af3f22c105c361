"""Agilent BioTek Gen5 exports (text and xlsx)."""
