"""Domain rules of Chinese bank credit work: money, identifiers, models."""
