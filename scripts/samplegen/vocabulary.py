"""The vocabulary of the Control Room world: names, places, products, plans and catalogues.

Data only: the world (``world.py``) and the handlers draw from these lists.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

INITECH_ONBOARD_DAYS = 106  # Initech becomes a customer inside the window

# fmt: off

FIRST_NAMES = [
    "Alan", "Grace", "Sofia", "Jonas", "Amara", "Kenji", "Olivia", "Mateo", "Hannah", "Noah",
    "Aisha", "Liam", "Chloe", "Ethan", "Fatima", "Lucas", "Mia", "Diego", "Elena", "Omar",
    "Zoë", "Ravi", "Ingrid", "Samuel", "Nadia", "Felix", "Camille", "Yusuf", "Hugo", "Clara",
    "Mei", "Daniel", "Ayesha", "Victor", "Julia", "Kwame", "Sara", "Arjun", "Emma", "Leo",
    "Rosa", "Tariq", "Nina", "Pablo", "Freya", "Dmitri", "Maya", "Oscar", "Leila", "André",
    "Renée", "José", "Søren", "Björn", "Aiko", "Niamh", "Chidi", "Marta", "Owen", "Tessa",
]
LAST_NAMES = [
    "Okafor", "Tanaka", "Novak", "García", "Schmidt", "Dubois", "Kowalski", "Rossi",
    "Nakamura", "Haddad", "Silva", "Jensen", "Müller", "O'Brien", "Chen", "Patel", "Nguyen",
    "Kim", "Moreau", "Andersson", "Costa", "Hughes", "Ibrahim", "Lindqvist", "Martins",
    "Petrov", "Reyes", "Sato", "Walsh", "Yilmaz", "Zhang", "Adeyemi", "Brennan", "Castillo",
    "Duarte", "Ericsson", "Fontaine", "Gupta", "Holm", "Ivanova", "Keller", "Lopez", "Mensah",
]

CITIES = {
    "US-E": [("US", "New York"), ("US", "Boston"), ("US", "Philadelphia"), ("US", "Atlanta"),
             ("US", "Chicago"), ("CA", "Toronto")],
    "EU": [("DE", "Berlin"), ("NL", "Amsterdam"), ("FR", "Paris"), ("GB", "London"),
           ("ES", "Madrid"), ("DE", "Munich"), ("PL", "Warsaw")],
    "US-W": [("US", "San Francisco"), ("US", "Seattle"), ("US", "Portland"), ("US", "Oakland"),
             ("US", "San Jose")],
}
IP_FIRST_OCTETS = {
    "US-E": [24, 67, 68, 71, 73, 96, 98, 108, 173],
    "EU": [31, 46, 62, 77, 80, 85, 88, 91, 93, 217],
    "US-W": [50, 67, 69, 75, 76, 99, 107, 172],
}


def _chrome(os_part: str) -> Callable[[int], str]:
    def ua(version: int) -> str:
        return (
            f"Mozilla/5.0 ({os_part}) AppleWebKit/537.36 (KHTML, like Gecko) "
            f"Chrome/{version}.0.0.0 Safari/537.36"
        )

    return ua


BROWSERS: list[Callable[[int], str]] = [
    _chrome("Macintosh; Intel Mac OS X 10_15_7"),
    _chrome("Macintosh; Intel Mac OS X 10_15_7"),
    _chrome("Windows NT 10.0; Win64; x64"),
    _chrome("X11; Linux x86_64"),
    lambda v: (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:128.0) Gecko/20100101 Firefox/128.0"
    ),
    lambda v: (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.5 Safari/605.1.15"
    ),
    lambda v: (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        f"Chrome/{v}.0.0.0 Safari/537.36 Edg/{v}.0.0.0"
    ),
]
CLI_UA = "controlroom-cli/2.3.1 (darwin; arm64)"

MODELS = ["gpt-4o", "gpt-4o-mini", "claude-3-5-sonnet", "claude-3-5-haiku", "gemini-1.5-pro",
          "llama-3.1-70b", "mistral-large"]
# ms per output token, rough
MODEL_SPEED = {"gpt-4o": 14, "gpt-4o-mini": 7, "claude-3-5-sonnet": 15, "claude-3-5-haiku": 8,
               "gemini-1.5-pro": 16, "llama-3.1-70b": 11, "mistral-large": 13}
# USD per million tokens (input, output)
MODEL_PRICE = {"gpt-4o": (2.5, 10.0), "gpt-4o-mini": (0.15, 0.6),
               "claude-3-5-sonnet": (3.0, 15.0), "claude-3-5-haiku": (0.8, 4.0),
               "gemini-1.5-pro": (1.25, 5.0), "llama-3.1-70b": (0.9, 0.9),
               "mistral-large": (2.0, 6.0)}
TOOLS = ["web_search", "sql_query", "send_email", "create_ticket", "lookup_invoice",
         "slack_post", "crm_lookup", "vector_search", "code_interpreter", "http_request"]

AGENT_DESCRIPTIONS = [
    "Handles first-line triage", "Drafts replies for human review", "Runs nightly",
    "Summarises inbound documents", "Escalates high-risk cases to a human",
    "Answers from the knowledge base only", "Beta: limited to internal users",
    "Owned by the platform team",
]
AGENT_TAGS = ["beta", "pii", "customer-facing", "internal", "critical", "experimental",
              "finance", "support", "nightly"]

WORKSPACE_PLAN: dict[str, list[dict[str, Any]]] = {
    # name, environment, weight, agent names (existing), reserve names (created later),
    # integrations, secrets, api keys, days ago created (None = before the window)
    "acme": [
        dict(name="Finance Ops", env="production", weight=1.0,
             agents=["invoice-bot", "expense-auditor", "payment-reconciler"],
             reserve=["vendor-onboarding", "po-matcher"],
             integrations=["Slack", "Salesforce", "Google Drive"],
             secrets=["OPENAI_API_KEY", "SALESFORCE_CLIENT_SECRET", "SLACK_BOT_TOKEN"],
             keys=[("backend service", "service"), ("terraform", "iac")]),
        dict(name="Customer Support", env="production", weight=1.3,
             agents=["support-triage", "refund-assistant", "faq-responder"],
             reserve=["escalation-router", "csat-analyzer"],
             integrations=["Zendesk", "Slack"],
             secrets=["ANTHROPIC_API_KEY", "ZENDESK_API_TOKEN", "SLACK_BOT_TOKEN"],
             keys=[("zendesk webhook", "service"), ("CI deploy key", "ci")]),
        dict(name="Production", env="production", weight=1.8,
             agents=["order-router", "fraud-screener", "shipping-eta", "catalog-enricher"],
             reserve=["returns-helper"],
             integrations=["GitHub", "PagerDuty", "Snowflake"],
             secrets=["OPENAI_API_KEY", "STRIPE_SECRET_KEY", "DATABASE_URL",
                      "WEBHOOK_SIGNING_SECRET"],
             keys=[("backend service", "service"), ("mobile app backend", "service"),
                   ("CI deploy key", "ci"), ("terraform", "iac")]),
        dict(name="Staging", env="staging", weight=0.7,
             agents=["order-router-staging", "fraud-screener-staging"],
             reserve=["shipping-eta-staging"],
             integrations=["GitHub"],
             secrets=["OPENAI_API_KEY", "DATABASE_URL"],
             keys=[("staging smoke tests", "service"), ("CI deploy key", "ci")]),
        dict(name="Data Science", env="development", weight=0.6, created_days_ago=93,
             agents=["churn-predictor", "report-writer"],
             reserve=["sql-copilot", "anomaly-explainer"],
             integrations=["Snowflake", "Slack"],
             secrets=["OPENAI_API_KEY", "SNOWFLAKE_PASSWORD"],
             keys=[("data pipeline", "service")]),
    ],
    "globex": [
        dict(name="Production", env="production", weight=1.6,
             agents=["lead-router", "contract-reviewer", "pricing-advisor", "kb-answerer"],
             reserve=["renewal-nudger"],
             integrations=["GitHub", "Slack", "Snowflake"],
             secrets=["OPENAI_API_KEY", "ANTHROPIC_API_KEY", "DATABASE_URL"],
             keys=[("backend service", "service"), ("github-actions", "ci"),
                   ("terraform", "iac")]),
        dict(name="Staging", env="staging", weight=0.6,
             agents=["lead-router-staging", "contract-reviewer-staging"],
             reserve=["pricing-advisor-staging"],
             integrations=["GitHub"],
             secrets=["OPENAI_API_KEY", "DATABASE_URL"],
             keys=[("github-actions", "ci"), ("staging smoke tests", "service")]),
        dict(name="Sales Automation", env="production", weight=1.2,
             agents=["lead-qualifier", "email-drafter", "crm-updater", "meeting-summarizer"],
             reserve=["deal-desk-assistant"],
             integrations=["Salesforce", "HubSpot", "Slack"],
             secrets=["OPENAI_API_KEY", "SALESFORCE_CLIENT_SECRET", "HUBSPOT_API_KEY"],
             keys=[("zapier", "service"), ("terraform", "iac")]),
        dict(name="Research", env="development", weight=0.5, created_days_ago=58,
             agents=["paper-summarizer", "lit-search"],
             reserve=["experiment-logger"],
             integrations=["Notion", "GitHub"],
             secrets=["ANTHROPIC_API_KEY", "NOTION_TOKEN"],
             keys=[("notebook access", "service")]),
    ],
    "initech": [
        dict(name="Customer Support", env="production", weight=1.2,
             created_days_ago=INITECH_ONBOARD_DAYS,
             agents=["ticket-classifier", "reply-drafter"],
             reserve=["sla-watcher"],
             integrations=["Jira", "Slack"],
             secrets=["OPENAI_API_KEY", "JIRA_API_TOKEN", "SLACK_BOT_TOKEN"],
             keys=[("helpdesk backend", "service"), ("github-actions", "ci")]),
        dict(name="Internal Tools", env="production", weight=1.0,
             created_days_ago=INITECH_ONBOARD_DAYS,
             agents=["tps-report-bot", "it-helpdesk", "onboarding-buddy"],
             reserve=["expense-helper"],
             integrations=["Slack", "Google Drive", "GitHub"],
             secrets=["ANTHROPIC_API_KEY", "GOOGLE_SERVICE_ACCOUNT_JSON"],
             keys=[("intranet backend", "service"), ("terraform", "iac")]),
        dict(name="Sandbox", env="development", weight=0.4, created_days_ago=42,
             agents=["playground-agent"],
             reserve=["prompt-lab", "eval-runner"],
             integrations=["GitHub"],
             secrets=["OPENAI_API_KEY"],
             keys=[("local experiments", "service")]),
    ],
}
SCHEDULED_AGENTS = {"payment-reconciler", "report-writer", "churn-predictor", "crm-updater",
                    "experiment-logger", "tps-report-bot", "expense-auditor", "catalog-enricher",
                    "sla-watcher", "meeting-summarizer", "kb-answerer"}

PROVIDER_SLUG = {"Slack": "slack", "Salesforce": "salesforce", "Google Drive": "google_drive",
                 "Zendesk": "zendesk", "GitHub": "github", "PagerDuty": "pagerduty",
                 "Snowflake": "snowflake", "HubSpot": "hubspot", "Notion": "notion",
                 "Jira": "jira"}
PROVIDER_SCOPES = {
    "slack": ["chat:write", "channels:read"], "salesforce": ["api", "refresh_token"],
    "google_drive": ["drive.readonly"], "zendesk": ["tickets:read", "tickets:write"],
    "github": ["repo", "read:org"], "pagerduty": ["incidents.write"],
    "snowflake": ["USAGE", "SELECT"], "hubspot": ["crm.objects.contacts.read"],
    "notion": ["read_content"], "jira": ["read:jira-work", "write:jira-work"],
}

KEY_SCOPES = {
    "service": ["agents:invoke", "agents:read"],
    "ci": ["agents:deploy", "agents:read"],
    "iac": ["agents:write", "secrets:write", "workspace:admin"],
}
KEY_UA = {
    "service": ["controlroom-sdk-python/1.12.0 python/3.12.4",
                "controlroom-sdk-node/3.4.1 node/20.14.0", "python-httpx/0.27.0"],
    "ci": ["GitHub-Actions controlroom-deploy-action/v2"],
    "iac": ["terraform-provider-controlroom/1.8.2"],
}
KEY_ENDPOINTS = {
    "service": [("POST /v1/agents/{agent_id}/invoke", 6), ("GET /v1/agents/{agent_id}", 2),
                ("GET /v1/runs/{run_id}", 3), ("GET /v1/agents", 1)],
    "ci": [("POST /v1/agents/{agent_id}/deployments", 3),
           ("GET /v1/deployments/{deployment_id}", 4), ("GET /v1/agents/{agent_id}", 1)],
    "iac": [("GET /v1/workspaces/{workspace_id}", 3), ("GET /v1/agents/{agent_id}/config", 3),
            ("PUT /v1/agents/{agent_id}/config", 1), ("GET /v1/secrets", 1)],
}

SYSTEM_ACCOUNTS = [
    ("scheduler", "controlroom-scheduler/4.2.0"),
    ("health-monitor", "controlroom-health-monitor/4.2.0"),
    ("deploy-bot", "controlroom-deployer/4.2.0"),
    ("secret-rotator", "controlroom-vault-rotator/1.6.3"),
    ("sync-worker", "controlroom-sync-worker/4.2.0"),
    ("api-gateway", "controlroom-gateway/4.2.0"),
]

SYSTEM_ERRORS = [
    ("AGENT_TIMEOUT", "Agent run exceeded the 30s timeout", 504, "agent-runtime", 30000),
    ("UPSTREAM_MODEL_ERROR", "Model provider returned 503 Service Unavailable", 502,
     "model-gateway", 2400),
    ("TOOL_EXECUTION_FAILED", "Tool '{tool}' raised HTTPError: 500 Internal Server Error", 500,
     "agent-runtime", 1800),
    ("OUT_OF_MEMORY", "Worker killed: memory limit 2Gi exceeded", 500, "agent-runtime", 9000),
    ("CONTEXT_LENGTH_EXCEEDED", "Prompt exceeds the model context window (128000 tokens)", 400,
     "agent-runtime", 300),
    ("VECTOR_STORE_UNAVAILABLE", "Connection to vector store refused", 503, "retrieval", 5000),
    ("RATE_LIMITED_UPSTREAM", "Model provider rate limit hit (429), retries exhausted", 429,
     "model-gateway", 12000),
]
SYNC_ERRORS = [
    ("AUTH_EXPIRED", "OAuth refresh token expired or revoked", 401),
    ("RATE_LIMITED", "Provider API rate limit reached", 429),
    ("TIMEOUT", "Sync request timed out after 60s", 504),
    ("SCHEMA_CHANGED", "Field mapping failed: unknown field 'custom_region__c'", 422),
]
LOGIN_FAIL_REASONS = [("invalid_password", 6), ("mfa_failed", 2), ("sso_assertion_expired", 1)]
POLICIES = [("PII redaction", "pol"), ("Prompt injection guardrail", "pol"),
            ("Monthly spend limit", "pol"), ("Allowed models", "pol")]


# fmt: on
# --------------------------------------------------------------------------------------------
