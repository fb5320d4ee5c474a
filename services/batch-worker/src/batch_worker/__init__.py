"""Paynto batch worker: clones the URLs of batches, taken from a dramatiq queue on Redis."""
