"""The weekly digest for program leads."""
