resource "google_service_account" "etl" {
  account_id  = "etl-runner"
  description = "ETL runner. owner: data-platform"
}

# A user-managed key: valid until someone deletes it.
resource "google_service_account_key" "etl" {
  service_account_id = google_service_account.etl.name
}
