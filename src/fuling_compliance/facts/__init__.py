"""Facts: the input contract, reading and validating fact sets."""
