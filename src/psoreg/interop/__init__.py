"""Interoperability: the registry in and out of REDCap projects and HL7 FHIR R4 records.

* :mod:`psoreg.interop.records` -- the registry as plain records in the service layer's field
  names (read from the database; written back through :mod:`psoreg.store.service`, so every
  import is validated by the same rules as the web forms, all or nothing);
* :mod:`psoreg.interop.redcap` -- data dictionary, longitudinal design, flat records (PyCap shapes);
* :mod:`psoreg.interop.fhir` -- a patient as a FHIR R4 Bundle and back.

What each format's fields mean is reference data under ``psoreg/data/redcap`` and
``psoreg/data/fhir``: a new registry field is one line there.
"""
