"""The box's settings (pause reasons, dispositions, prompt language, alarm notices): pages, API, service, forms."""
