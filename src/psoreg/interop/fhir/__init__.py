"""The registry as HL7 FHIR R4 resources (a Bundle per patient, or one for the registry) and back.

See :mod:`.export` for the resources written, :mod:`.importer` for reading them, and
``psoreg/data/fhir/mapping.json`` for the codes, identifiers and extensions.
"""
