use super::*;

#[test]
fn dictionary_round_trips_canonically() {
    let parsed = parse_dictionary("  a=1,    b=2;x=1;y=2,   c=(a   b   c)").unwrap();
    assert_eq!(parsed.serialize(), "a=1, b=2;x=1;y=2, c=(a b c)");
}

#[test]
fn dictionary_true_member_has_no_value() {
    let parsed = parse_dictionary("a, b=?1;p, c=?0").unwrap();
    assert_eq!(parsed.serialize(), "a, b;p, c=?0");
}

#[test]
fn list_of_mixed_members() {
    let parsed = parse_list("\"x\\\"y\", tok/en;q=0.5, :AQID:, (1 -2.25);z, ?0").unwrap();
    assert_eq!(parsed.len(), 5);
    assert_eq!(
        serialize_list(&parsed),
        "\"x\\\"y\", tok/en;q=0.5, :AQID:, (1 -2.25);z, ?0"
    );
}

#[test]
fn decimal_drops_trailing_zeros() {
    let item = parse_item("1.500").unwrap();
    assert_eq!(item.bare, BareItem::Decimal(1500));
    assert_eq!(item.serialize(), "1.5");
    assert_eq!(parse_item("-0.05").unwrap().serialize(), "-0.05");
}

#[test]
fn byte_sequence_without_padding_is_accepted() {
    let item = parse_item(":AQI:").unwrap();
    assert_eq!(item.bare, BareItem::ByteSequence(vec![1, 2]));
    assert_eq!(item.serialize(), ":AQI=:");
}

#[test]
fn invalid_values_name_their_position() {
    let cases = [
        ("a=1,", "trailing `,`"),
        ("a=(1 2", "closing `)`"),
        ("A=1", "lowercase letter"),
        ("a=\"x", "closing `\"`"),
        ("a=1234567890123456", "15 digits"),
        ("a=1.2345", "1 to 3 fractional digits"),
        ("a=:ab$:", "base64 characters"),
        ("a=?2", "`?1` or `?0`"),
        ("a=1 b=2", "expected `,`"),
    ];
    for (input, expected) in cases {
        let error = parse_dictionary(input).unwrap_err();
        assert!(error.to_string().contains(expected), "{input}: {error}");
    }
}

#[test]
fn key_validity() {
    assert!(is_valid_key("sig1"));
    assert!(is_valid_key("*a.b-c_d"));
    assert!(!is_valid_key("Sig1"));
    assert!(!is_valid_key("1sig"));
    assert!(!is_valid_key(""));
}
