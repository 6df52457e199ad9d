"""Mechanics of the brace: its test fixture, FE and fast stiffness models, and tuning.

Every stiffness afofit gives says which fixture it means (:mod:`afofit.mechanics.fixture`):
measured AFO stiffness depends on the test method as much as on the brace (Shuman et al. 2023).
"""
