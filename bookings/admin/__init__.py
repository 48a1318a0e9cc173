"""Running the salon: users and their rights, the settings (staff, services, categories,
interval), the settings change log."""
