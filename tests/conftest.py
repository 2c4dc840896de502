import os

import matplotlib
from hypothesis import HealthCheck, settings

matplotlib.use("Agg")

# Deadlines off: timing on shared 2-core machines is noisy; correctness is what is tested.
settings.register_profile(
    "default", deadline=None, max_examples=25, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "thorough", deadline=None, max_examples=300, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
