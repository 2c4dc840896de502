import os

import matplotlib
from hypothesis import HealthCheck, settings

matplotlib.use("Agg")

# Deadlines off: timing on shared 2-core machines is noisy; correctness is what is tested.
# The default profile is derandomized, so CI and every developer run the same examples;
# "thorough" draws fresh random ones (300 per property) to hunt for new counterexamples.
settings.register_profile(
    "default", deadline=None, max_examples=25, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "thorough", deadline=None, max_examples=300, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
