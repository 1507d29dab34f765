// The vendor SDKs read these from the environment; a developer's real keys or endpoints must never
// reach a test (clear them so only the explicit test configuration is used).
for (const name of [
  "OPENAI_API_KEY",
  "OPENAI_BASE_URL",
  "ANTHROPIC_API_KEY",
  "ANTHROPIC_BASE_URL",
  "ANTHROPIC_CUSTOM_HEADERS",
  "GOOGLE_API_KEY",
  "GEMINI_API_KEY",
  "GOOGLE_GENAI_USE_VERTEXAI",
  "GOOGLE_GENAI_USE_ENTERPRISE",
  "GOOGLE_CLOUD_PROJECT",
  "GOOGLE_CLOUD_LOCATION",
  "GOOGLE_GENAI_API_VERSION",
  "GOOGLE_GEMINI_BASE_URL",
  "GOOGLE_VERTEX_BASE_URL",
  "GOOGLE_APPLICATION_CREDENTIALS",
  "AWS_BEARER_TOKEN_BEDROCK",
  "AWS_PROFILE",
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN"
]) {
  delete process.env[name]
}
// No test may ever reach the EC2 metadata service or a real AWS config file.
process.env.AWS_EC2_METADATA_DISABLED = "true"
process.env.AWS_CONFIG_FILE = "/nonexistent/aws-config"
process.env.AWS_SHARED_CREDENTIALS_FILE = "/nonexistent/aws-credentials"
