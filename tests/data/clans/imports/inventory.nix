{
  instances.users-root = {
    module.name = "users";
    roles.default.tags.office = { };
    roles.default.settings = {
      user = "root";
      prompt = false;
    };
  };
}
