//! Destination and originator simulators of a signed FHIR exchange.
