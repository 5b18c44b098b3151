//! Word lists and code tables of the sample data. Names, streets, phone
//! numbers and organizations are fictional, and the codes are real.

pub(super) const FAMILY_NAMES: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
];
pub(super) const MALE_GIVEN: &[&str] = &[
    "James", "Robert", "John", "Michael", "David", "William", "Richard", "Joseph", "Thomas",
    "Charles", "Daniel", "Matthew", "Anthony", "Mark", "Steven",
];
pub(super) const FEMALE_GIVEN: &[&str] = &[
    "Mary",
    "Patricia",
    "Jennifer",
    "Linda",
    "Elizabeth",
    "Barbara",
    "Susan",
    "Jessica",
    "Sarah",
    "Karen",
    "Lisa",
    "Nancy",
    "Betty",
    "Sandra",
    "Ashley",
];
pub(super) const MIDDLE_INITIALS: &[&str] = &["A", "B", "C", "E", "J", "L", "M", "R", "S", "T"];
pub(super) const STREETS: &[&str] = &[
    "Oak St",
    "Maple Ave",
    "Cedar Ln",
    "Pine St",
    "Elm St",
    "Washington Ave",
    "Lakeview Dr",
    "Park Pl",
    "Hillcrest Rd",
    "Sunset Blvd",
    "Main St",
    "River Rd",
];
/// City, state and ZIP code, so that each address is consistent.
pub(super) const CITIES: &[(&str, &str, &str)] = &[
    ("Springfield", "IL", "62704"),
    ("Madison", "WI", "53703"),
    ("Columbus", "OH", "43215"),
    ("Austin", "TX", "78701"),
    ("Raleigh", "NC", "27601"),
    ("Denver", "CO", "80202"),
    ("Portland", "OR", "97205"),
    ("Nashville", "TN", "37203"),
];
/// Provider organizations, each with its city index into `CITIES`.
pub(super) const PROVIDERS: &[(&str, usize)] = &[
    ("Riverbend Community Hospital", 0),
    ("Lakeshore Family Clinic", 1),
    ("Prairie Valley Medical Center", 2),
    ("Bluebonnet Health Partners", 3),
];
pub(super) const PAYORS: &[&str] = &[
    "Evergreen Mutual Health Plan",
    "Summit Care Insurance",
    "Harborview Health Cooperative",
    "Keystone Medical Assurance",
];
pub(super) const QUALIFICATIONS: &[(&str, &str)] = &[
    ("MD", "Doctor of Medicine"),
    ("DO", "Doctor of Osteopathy"),
    ("NP", "Nurse practitioner"),
];

/// Encounter class (HL7 v3 ActCode), SNOMED CT type, and duration range in minutes.
pub(super) const ENCOUNTER_KINDS: &[(&str, &str, &str, &str, i64, i64)] = &[
    (
        "AMB",
        "ambulatory",
        "185349003",
        "Encounter for check up",
        20,
        60,
    ),
    (
        "AMB",
        "ambulatory",
        "185349003",
        "Encounter for check up",
        20,
        60,
    ),
    (
        "AMB",
        "ambulatory",
        "185349003",
        "Encounter for check up",
        20,
        60,
    ),
    (
        "EMER",
        "emergency",
        "50849002",
        "Emergency room admission",
        120,
        480,
    ),
    (
        "IMP",
        "inpatient encounter",
        "32485007",
        "Hospital admission",
        1440,
        7200,
    ),
];

/// LOINC code, display, category, UCUM unit, and the value range.
pub(super) const OBSERVATION_KINDS: &[(&str, &str, &str, &str, f64, f64)] = &[
    ("29463-7", "Body weight", "vital-signs", "kg", 48.0, 115.0),
    ("8302-2", "Body height", "vital-signs", "cm", 150.0, 196.0),
    ("8867-4", "Heart rate", "vital-signs", "/min", 54.0, 104.0),
    (
        "8480-6",
        "Systolic blood pressure",
        "vital-signs",
        "mm[Hg]",
        98.0,
        158.0,
    ),
    (
        "8462-4",
        "Diastolic blood pressure",
        "vital-signs",
        "mm[Hg]",
        58.0,
        98.0,
    ),
    (
        "8310-5",
        "Body temperature",
        "vital-signs",
        "Cel",
        36.1,
        38.9,
    ),
    (
        "4548-4",
        "Hemoglobin A1c/Hemoglobin.total in Blood",
        "laboratory",
        "%",
        4.6,
        9.5,
    ),
    (
        "2345-7",
        "Glucose [Mass/volume] in Serum or Plasma",
        "laboratory",
        "mg/dL",
        68.0,
        190.0,
    ),
];
