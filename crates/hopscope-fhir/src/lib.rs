//! In-memory FHIR R4 test server logic, independent of transport, TLS and
//! authorization.
