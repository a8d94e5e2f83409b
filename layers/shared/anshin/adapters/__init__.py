"""AWS services other than DynamoDB, behind small functions: SNS, KMS, Step Functions,
EventBridge, S3, SQS."""
