"""The only DynamoDB code: keys, table access, transactions, one module per entity."""
