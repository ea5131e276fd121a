"""/v1 (seed 000): payments resources and onboarding links, for personal API tokens."""
