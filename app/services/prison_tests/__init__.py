"""HMI Prisons' healthy prison tests (SPEC 15): per inspection, and counted across inspections."""
