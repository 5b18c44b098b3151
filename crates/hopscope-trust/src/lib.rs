//! Trust lists of destinations and trust decisions on originators.
