// AWS adapters (filled by the CodePipeline/CloudWatch/SNS work).
