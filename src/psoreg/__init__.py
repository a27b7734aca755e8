"""psoreg: follow patients on biologic therapy for psoriasis.

Layers, data flowing one way: ``scores`` (pure clinical calculators) -> ``model`` (validated
domain records) -> ``outcomes`` (definitions as Ibis expressions) -> ``analysis`` (cohort
statistics) -> reports; ``io`` and ``cli`` sit on top.
"""

__version__ = "0.1.0"
