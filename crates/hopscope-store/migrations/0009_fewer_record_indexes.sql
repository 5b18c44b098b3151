-- No query reads hop records by exchange id or by hop: they are read by
-- exchange row id. Each index cost every insert of the record writer.
DROP INDEX hop_records_exchange_id;
DROP INDEX hop_records_hop;
