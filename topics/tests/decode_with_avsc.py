"""Decode one raw Avro binary datum with nothing but its .avsc file (as an analyst would).

Usage: python3 decode_with_avsc.py <schema.avsc> <datum.bin>
Prints the record as JSON; timestamp-millis fields are also given as `<name>_ms` integers.
"""
import datetime
import io
import json
import sys

try:
    import fastavro
except ImportError:
    sys.exit("fastavro is missing: python3 -m pip install fastavro")


def main() -> None:
    schema_path, datum_path = sys.argv[1], sys.argv[2]
    with open(schema_path, encoding="utf-8") as handle:
        schema = fastavro.parse_schema(json.load(handle))
    with open(datum_path, "rb") as handle:
        data = handle.read()
    buffer = io.BytesIO(data)
    record = fastavro.schemaless_reader(buffer, schema)
    if buffer.tell() != len(data):
        sys.exit(f"trailing bytes: read {buffer.tell()} of {len(data)}")
    out = {}
    for name, value in record.items():
        if isinstance(value, datetime.datetime):
            out[name + "_ms"] = round(value.timestamp() * 1000)
            value = value.isoformat()
        out[name] = value
    print(json.dumps(out, default=str))


if __name__ == "__main__":
    main()
