resource "azuread_application" "reporting" {
  display_name = "reporting-exporter"
}

# A client secret with no end date: it lives as long as the provider default allows.
resource "azuread_application_password" "reporting" {
  application_id = azuread_application.reporting.id
}

# An Azure OpenAI account that still accepts API keys next to Entra ID tokens.
resource "azurerm_cognitive_account" "assistant" {
  name                = "dev-assistant"
  kind                = "OpenAI"
  sku_name            = "S0"
  location            = "westeurope"
  resource_group_name = "dev-ai"
}
