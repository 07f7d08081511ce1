"""Assets: the products a customer owns, with serial number, purchase date and warranty."""
