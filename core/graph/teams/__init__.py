"""Teams inside a department: a manager, members and the territories they cover."""
